/**
 * A job's progress as the panels show it: one line per step, replaced as its events arrive (start → done),
 * and every `info` event on a line of its own. The links events carry are collected for the end.
 */
import type { IEvent } from './apitypes';

export interface IProgressLine {
  key: string;
  event: IEvent;
}

export function withEvent(
  lines: IProgressLine[],
  prefix: string,
  event: IEvent
): IProgressLine[] {
  const key = `${prefix}:${event.step}`;
  const at = lines.findIndex(l => l.key === key);
  if (event.state === 'info') {
    return [...lines, { key: `${key}:${event.index}`, event }];
  }
  if (at >= 0) {
    return lines.map((l, i) => (i === at ? { key, event } : l));
  }
  return [...lines, { key, event }];
}

export function linksOf(lines: IProgressLine[]): string[] {
  const links = lines.map(l => l.event.link).filter((l): l is string => !!l);
  return links.filter((l, i) => links.indexOf(l) === i);
}
