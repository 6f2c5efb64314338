/** The contract documents it: JSON bodies over this answer 413 PAYLOAD_TOO_LARGE. Metadata at its limits fits well inside. */
export const REQUEST_BODY_LIMIT_BYTES = 64 * 1024;
