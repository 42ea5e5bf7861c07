// Does a rule apply to this sender, this recipient, in this direction? Returns the reason
// when it does not, for the rule tester and the tracking detail.
import type { Direction } from '../scan/facts.js';
import { AddressMatcher, type GroupResolver } from './address-pattern.js';
import type { PolicyRoute, RouteDirection } from './types.js';

export interface CompiledRoute {
  direction: RouteDirection;
  senders: AddressMatcher;
  recipients: AddressMatcher;
  exceptSenders: AddressMatcher;
  exceptRecipients: AddressMatcher;
}

export function compileRoute(r: PolicyRoute): CompiledRoute {
  return {
    direction: r.direction,
    senders: new AddressMatcher(r.senders),
    recipients: new AddressMatcher(r.recipients),
    exceptSenders: new AddressMatcher(r.exceptSenders),
    exceptRecipients: new AddressMatcher(r.exceptRecipients),
  };
}

function directionFits(rule: RouteDirection, actual: Direction): boolean {
  switch (rule) {
    case 'all':
      return true;
    case 'both':
      return actual !== 'internal';
    default:
      return rule === actual;
  }
}

export interface RouteParty {
  /** Normalised (address-pattern.ts normaliseAddress) envelope addresses. */
  sender: string;
  recipient: string;
  direction: Direction;
}

/** undefined when the route applies; otherwise why not. */
export function routeMismatch(
  route: CompiledRoute,
  p: RouteParty,
  groups: GroupResolver,
): string | undefined {
  if (!directionFits(route.direction, p.direction))
    return `direction is ${p.direction}; the rule applies to ${route.direction}`;
  const sender = p.sender || '<>';
  if (!route.senders.empty && route.senders.match(p.sender, groups) === undefined)
    return `sender ${sender} matches none of the rule's senders`;
  if (!route.recipients.empty && route.recipients.match(p.recipient, groups) === undefined)
    return `recipient ${p.recipient} matches none of the rule's recipients`;
  const exceptSender = route.exceptSenders.match(p.sender, groups);
  if (exceptSender !== undefined) return `sender ${sender} is excepted by ${exceptSender}`;
  const exceptRecipient = route.exceptRecipients.match(p.recipient, groups);
  if (exceptRecipient !== undefined) return `recipient ${p.recipient} is excepted by ${exceptRecipient}`;
  return undefined;
}
