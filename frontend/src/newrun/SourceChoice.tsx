import { useRef, type KeyboardEvent } from 'react';

export type Source = 'catalog' | 'upload';

const OPTIONS: { value: Source; label: string }[] = [
  { value: 'catalog', label: 'Catalog workflow' },
  { value: 'upload', label: 'Upload a workflow' },
];

/**
 * A radio group of buttons named by their text. Native radios would be named by <label>s, and
 * "Catalog workflow" would then also answer to the label "Workflow" of the workflow select.
 */
export function SourceChoice({ value, onChange }: { value: Source; onChange: (source: Source) => void }) {
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const next = (index + step + OPTIONS.length) % OPTIONS.length;
    onChange(OPTIONS[next].value);
    buttons.current[next]?.focus();
  };
  return (
    <div role="radiogroup" aria-labelledby="source-label" className="source">
      <span id="source-label">Source</span>
      {OPTIONS.map((option, index) => (
        <button
          key={option.value}
          ref={(element) => {
            buttons.current[index] = element;
          }}
          type="button"
          role="radio"
          aria-checked={value === option.value}
          tabIndex={value === option.value ? 0 : -1}
          onClick={() => onChange(option.value)}
          onKeyDown={(event) => onKeyDown(event, index)}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}
