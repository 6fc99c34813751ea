import type { Role } from '../session/session';

/** Why an action is off for this token, or undefined when it may act: a client token only sees. */
export const operatorOnly = (role: Role): string | undefined =>
  role === 'operator'
    ? undefined
    : 'Needs an operator token: this console is signed in with a client token, which can only look.';
