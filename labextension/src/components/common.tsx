/** Pieces both panels use: a labelled field with its help and inline error, the banner, the progress list. */
import React from 'react';

import type { IBanner } from '../api';
import type { IProgressLine } from '../progress';

export interface IFieldRowProps {
  /** What the input is about: a settings key, `path`, `token`, `branch/NAME` (tests find it by this). */
  name: string;
  label: string;
  help?: string;
  error?: string;
  kind: 'text' | 'checkbox' | 'select';
  children: (id: string) => React.ReactNode;
}

let nextId = 0;

/** A label, the input `children` renders with the label's id, the help text and the error line. */
export function FieldRow(props: IFieldRowProps): JSX.Element {
  const [id] = React.useState(() => `jp-mlops-field-${nextId++}`);
  const invalid = props.error ? ' jp-mlops-invalid' : '';
  return (
    <div className={`jp-mlops-field jp-mlops-field-${props.kind}${invalid}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children(id)}
      {props.help && <div className="jp-mlops-help">{props.help}</div>}
      <div className="jp-mlops-error" role="alert" data-error-for={props.name}>
        {props.error ?? ''}
      </div>
    </div>
  );
}

export function Banner(props: { banner: IBanner }): JSX.Element | null {
  const { message, details } = props.banner;
  if (!message) {
    return null;
  }
  return (
    <div className="jp-mlops-banner" role="alert">
      {message}
      {details.length > 0 && (
        <ul>
          {details.map(d => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

const MARKS: Record<string, string> = {
  start: '…',
  done: '✓',
  skip: '–',
  warn: '!',
  fail: '✗',
  info: 'i'
};

export function ProgressList(props: { lines: IProgressLine[] }): JSX.Element {
  return (
    <ol className="jp-mlops-progress" aria-live="polite">
      {props.lines.map(({ key, event }) => (
        <li
          key={key}
          className={`jp-mlops-event jp-mlops-${event.state}`}
          data-step={key}
        >
          <span className="jp-mlops-mark">{MARKS[event.state] ?? ''}</span>
          <span className="jp-mlops-message">{event.message}</span>
          {event.link && <ExternalLink href={event.link} />}
        </li>
      ))}
    </ol>
  );
}

export function ExternalLink(props: {
  href: string;
  text?: string;
}): JSX.Element {
  return (
    <a href={props.href} target="_blank" rel="noopener noreferrer">
      {props.text ?? props.href}
    </a>
  );
}
