/** Small DOM helpers: the panels are plain DOM inside Lumino widgets, no UI framework to ship. */
import type { JobEvent, SchemaProperty } from './api';

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, unknown> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === 'class') {
      el.className = String(value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (key in el && typeof value !== 'string') {
      (el as any)[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      el.append(child);
    }
  }
  return el;
}

let nextId = 0;

/** One labelled input with its help text and an inline error line (role=alert, so it is announced). */
export class Field {
  readonly root: HTMLElement;
  readonly input: HTMLInputElement | HTMLSelectElement;
  private readonly errorLine: HTMLElement;

  constructor(
    readonly key: string,
    prop: SchemaProperty,
    kind: 'text' | 'password' | 'checkbox' | 'select' = prop.enum ? 'select' : prop.type === 'boolean' ? 'checkbox' : 'text',
    onChange: () => void = () => undefined
  ) {
    const id = `jp-mlops-field-${nextId++}`;
    if (kind === 'select') {
      this.input = h('select', { id, class: 'jp-mlops-input', onchange: onChange }, ...(prop.enum ?? []).map(c => h('option', { value: c }, c)));
    } else {
      this.input = h('input', {
        id,
        type: kind,
        class: kind === 'checkbox' ? 'jp-mlops-checkbox' : 'jp-mlops-input',
        autocomplete: kind === 'password' ? 'new-password' : 'off',
        spellcheck: false,
        oninput: onChange,
        onchange: onChange
      });
    }
    this.input.dataset.key = key;
    this.errorLine = h('div', { class: 'jp-mlops-error', role: 'alert', 'data-error-for': key });
    const help = prop.description ? h('div', { class: 'jp-mlops-help' }, prop.description) : null;
    this.root = h(
      'div',
      { class: `jp-mlops-field jp-mlops-field-${kind}` },
      h('label', { for: id }, prop.title ?? key),
      this.input,
      help,
      this.errorLine
    );
  }

  get value(): string | boolean {
    return this.input instanceof HTMLInputElement && this.input.type === 'checkbox' ? this.input.checked : this.input.value;
  }

  set value(value: string | boolean) {
    if (this.input instanceof HTMLInputElement && this.input.type === 'checkbox') {
      this.input.checked = value === true || value === 'true';
    } else {
      this.input.value = String(value ?? '');
    }
  }

  set error(message: string) {
    this.errorLine.textContent = message;
    this.root.classList.toggle('jp-mlops-invalid', !!message);
    this.input.setAttribute('aria-invalid', message ? 'true' : 'false');
  }

  get error(): string {
    return this.errorLine.textContent ?? '';
  }
}

const MARKS: Record<JobEvent['state'], string> = {
  start: '…',
  done: '✓',
  skip: '–',
  warn: '!',
  fail: '✗',
  info: 'i'
};

/** A progress list: one line per step, updated in place as its events arrive. */
export class ProgressList {
  readonly root = h('ol', { class: 'jp-mlops-progress', 'aria-live': 'polite' });
  readonly links: string[] = [];
  private readonly lines = new Map<string, HTMLElement>();

  add(event: JobEvent, prefix = ''): void {
    const key = `${prefix}${event.step}`;
    const content = [
      h('span', { class: 'jp-mlops-mark' }, MARKS[event.state] ?? ''),
      h('span', { class: 'jp-mlops-message' }, event.message)
    ];
    if (event.link) {
      content.push(h('a', { href: event.link, target: '_blank', rel: 'noopener' }, event.link));
      if (!this.links.includes(event.link)) {
        this.links.push(event.link);
      }
    }
    const line = h('li', { class: `jp-mlops-event jp-mlops-${event.state}`, 'data-step': key }, ...content);
    const old = event.state === 'info' ? undefined : this.lines.get(key);
    if (old) {
      old.replaceWith(line);
    } else {
      this.root.append(line);
    }
    if (event.state !== 'info') {
      this.lines.set(key, line);
    }
  }
}

export function errorBox(): HTMLElement {
  return h('div', { class: 'jp-mlops-banner', role: 'alert', hidden: true });
}

export function showError(box: HTMLElement, message: string, details: string[] = []): void {
  box.replaceChildren(message, ...(details.length ? [h('ul', {}, ...details.map(d => h('li', {}, d)))] : []));
  box.hidden = !message;
}
