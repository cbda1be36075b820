/**
 * Pretty, collapsible JSON. Every value is rendered as text (never as HTML);
 * large objects and arrays show their first children and a count of the rest.
 */
import { useState } from 'preact/hooks';

/** Children shown per object/array before "… N more". */
const MAX_CHILDREN = 200;

function Scalar({ value }: { value: unknown }) {
  if (value === null) return <span class="json-null">null</span>;
  switch (typeof value) {
    case 'string':
      return <span class="json-string">{JSON.stringify(value)}</span>;
    case 'number':
      return <span class="json-number">{String(value)}</span>;
    case 'boolean':
      return <span class="json-boolean">{String(value)}</span>;
    default:
      return <span>{String(value)}</span>;
  }
}

function Node({ name, value, depth }: { name: string | null; value: unknown; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  const isArray = Array.isArray(value);
  const isObject = value !== null && typeof value === 'object';
  const key = name !== null ? <span class="json-key">{name}: </span> : null;
  if (!isObject) {
    return <div class="json-row">{key}<Scalar value={value} /></div>;
  }
  const entries = isArray ? (value as unknown[]).map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  const summary = isArray ? `Array(${entries.length})` : `{${entries.length === 0 ? '' : '…'}}`;
  return (
    <div class="json-node">
      <button type="button" class="json-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? '▾' : '▸'}
      </button>
      {key}
      <span class="json-summary">{summary}</span>
      {open ? (
        <div class="json-children">
          {entries.slice(0, MAX_CHILDREN).map(([k, v]) => <Node key={k} name={k} value={v} depth={depth + 1} />)}
          {entries.length > MAX_CHILDREN ? <div class="muted">… {entries.length - MAX_CHILDREN} more</div> : null}
        </div>
      ) : null}
    </div>
  );
}

/** A JSON value as an expandable tree (top two levels open). */
export function JsonTree({ value }: { value: unknown }) {
  return <div class="json-tree" role="tree"><Node name={null} value={value} depth={0} /></div>;
}
