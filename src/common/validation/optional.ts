import { ValidateIf } from 'class-validator';

/**
 * Optional, but not nullable: an absent field is skipped, an explicit null is validated (and refused).
 * class-validator's IsOptional lets null through, which would reach NOT NULL columns as a 500.
 */
export const OptionalField = () => ValidateIf((_object, value) => value !== undefined);
