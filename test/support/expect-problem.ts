import type { Response } from 'supertest';

const PROBLEM_FIELDS = ['code', 'detail', 'errors', 'requestId', 'status', 'title', 'type'];

/** Asserts an RFC 9457 problem+json answer with the contract's code, and the failing field when given. */
export function expectProblem(res: Response, status: number, code: string, field?: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), code }),
  );
  expect(res.body.type.length).toBeGreaterThan(0);
  expect(res.body.title.length).toBeGreaterThan(0);
  for (const key of Object.keys(res.body)) expect(PROBLEM_FIELDS).toContain(key);
  if (field !== undefined) {
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]));
    for (const error of res.body.errors) expect(Object.keys(error).sort()).toEqual(['field', 'message']);
  }
}
