// An answer of the API other than 200: status, message and details (e.g. the problems of a 400).
// Thrown by route handlers on the server; made from the answer by the console UI (ui/src/api.ts),
// which imports this file, so it must stay free of imports.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
