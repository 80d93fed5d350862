/**
 * The project menu (a click on the project's name in the top bar): open another project, create
 * one from the template, or reopen a recent one. With unsaved changes it says so and asks before
 * anything replaces them.
 */
import { useEffect, useRef, useState } from 'react';

export interface ProjectMenuProps {
  current: string;
  recent: string[];
  /** files with unsaved changes in the open project */
  unsaved: number;
  /** why no other project can be opened now (a deploy in progress) */
  blocked?: string;
  onOpen(dir: string): void;
  onCreate(dir: string): void;
  onClose(): void;
}

function parentOf(dir: string): string {
  const i = dir.replace(/\/+$/, '').lastIndexOf('/');
  return i > 0 ? dir.slice(0, i) : '/';
}

/** A folder path and its button; test ids `<testId>` (the button) and `<testId>-path` (the input). */
function PathForm(p: { label: string; value: string; onChange(v: string): void; onSubmit(): void; button: string; testId: string; primary?: boolean }) {
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        p.onSubmit();
      }}
    >
      <label className="field">
        <span>{p.label}</span>
        <div className="row">
          <input className="mono" value={p.value} onChange={(e) => p.onChange(e.target.value)} data-testid={`${p.testId}-path`} spellCheck={false} />
          <button className={`button${p.primary ? ' primary' : ''}`} type="submit" data-testid={p.testId}>
            {p.button}
          </button>
        </div>
      </label>
    </form>
  );
}

export function ProjectMenu({ current, recent, unsaved, blocked, onOpen, onCreate, onClose }: ProjectMenuProps) {
  const [openDir, setOpenDir] = useState(current);
  const [newDir, setNewDir] = useState(`${parentOf(current)}/my-workflow`);
  // with unsaved changes, the first click asks; the second discards and goes on
  const [confirm, setConfirm] = useState<{ kind: 'open' | 'create'; dir: string } | undefined>();
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    // a click outside closes it; not one on the project's name, whose click toggles it
    const onDown = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && !(e.target as Element).closest?.('[data-testid="project-name"]') && onClose();
    window.addEventListener('keydown', onKey);
    window.addEventListener('mousedown', onDown);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('mousedown', onDown);
    };
  }, [onClose]);

  const go = (kind: 'open' | 'create', dir: string) => {
    const d = dir.trim();
    if (!d || blocked) return;
    if (unsaved && !(confirm && confirm.kind === kind && confirm.dir === d)) return setConfirm({ kind, dir: d });
    if (kind === 'open') onOpen(d);
    else onCreate(d);
  };

  return (
    <div className="project-menu" ref={ref} data-testid="project-menu" role="dialog" aria-label="Projects">
      <PathForm label="Open a project (a folder with workflow.json)" value={openDir} onChange={setOpenDir} onSubmit={() => go('open', openDir)} button="Open" testId="open-project" />
      <PathForm label="New project from the template (a new or empty folder; full path or ~/…)" value={newDir} onChange={setNewDir} onSubmit={() => go('create', newDir)} button="Create" testId="create-project" primary />
      {blocked && (
        <div className="deploy-gate" data-testid="switch-blocked">
          {blocked}
        </div>
      )}
      {confirm && (
        <div className="deploy-gate" data-testid="switch-gate">
          <div>
            {unsaved} file{unsaved === 1 ? ' has' : 's have'} unsaved changes in this project. Save them first (Ctrl+S), or discard them and {confirm.kind === 'open' ? 'open' : 'create'} {confirm.dir}.
          </div>
          <div className="row">
            <button className="button" type="button" onClick={() => go(confirm.kind, confirm.dir)} data-testid="discard-and-switch">
              Discard and {confirm.kind === 'open' ? 'open' : 'create'}
            </button>
            <button className="button ghost" type="button" onClick={() => setConfirm(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {recent.filter((d) => d !== current).length > 0 && (
        <div className="field">
          <span>Recent</span>
          {recent
            .filter((d) => d !== current)
            .map((d) => (
              <button key={d} className="recent-project mono" type="button" onClick={() => go('open', d)} data-testid="recent-project" title={d}>
                {d}
              </button>
            ))}
        </div>
      )}
    </div>
  );
}
