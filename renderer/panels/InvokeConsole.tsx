/**
 * The invoke console: pick a function, give it JSON or a digit (drawn, or a real one from mnist),
 * invoke it on its node, and see the answer: the predicted digit, node, latency parts, models,
 * what it produced, its gates and its output.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiError, InvokeAnswerDto } from '../../cluster/api/contract';
import { call, errorOf } from '../api';
import { DigitPad } from './DigitPad';
import { ErrorBox } from './ErrorBox';
import type { Runtime } from './runtime-state';
import { latencyBreakdown, ms } from './time';
import { inputModeFor } from './invoke-mode';
import { useStudio, useStudioContext } from '../state/studio';

function Prediction({ a }: { a: InvokeAnswerDto }) {
  const out = a.output as { digit?: unknown; confidence?: unknown } | null;
  if (!out || typeof out !== 'object' || typeof out.digit !== 'number') return null;
  return (
    <div className="prediction" data-testid="prediction">
      <span className="prediction-digit" data-testid="prediction-digit">
        {out.digit}
      </span>
      <span>
        <div>predicted digit</div>
        {typeof out.confidence === 'number' && (
          <div className="muted small" data-testid="prediction-confidence">
            confidence {(out.confidence * 100).toFixed(1)} %
          </div>
        )}
      </span>
    </div>
  );
}

export function InvokeConsole({ rt, workflow, functions }: { rt: Runtime; workflow: string; functions: string[] }) {
  const deployed = functions.filter((f) => rt.deploy[f]?.status === 'ready');
  const [fn, setFn] = useState<string>('');
  const [mode, setMode] = useState<'json' | 'digit'>('json');
  const [json, setJson] = useState('{}');
  const [pixels, setPixels] = useState<number[]>(() => new Array(784).fill(0));
  const [label, setLabel] = useState<number | undefined>();
  const [want, setWant] = useState<string>('any');
  const sampleIndex = useRef(0);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<InvokeAnswerDto | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const chosen = fn && functions.includes(fn) ? fn : (deployed[0] ?? functions[0] ?? '');
  // the next-steps guide asks for a function ("Try classify")
  const request = useStudio((s) => s.invokeRequest);
  useEffect(() => {
    if (request) setFn(request.fn);
  }, [request]);
  // the input follows the function chosen: an image for one that serves a model, JSON otherwise
  const { store } = useStudioContext();
  useEffect(() => {
    setMode(inputModeFor(store.getState().snap?.functions.find((f) => f.id === chosen)));
  }, [chosen, store]);

  const sample = useCallback(async () => {
    try {
      // each click takes the next sample (of the chosen digit, or of a random one)
      const d = await call('samples.digit', { ...(want !== 'any' ? { digit: Number(want) } : {}), index: sampleIndex.current++ % 100 });
      setPixels(d.pixels);
      setLabel(d.label);
      setMode('digit');
    } catch (e) {
      setError(errorOf(e));
    }
  }, [want]);

  const invoke = async () => {
    let input: unknown;
    if (mode === 'json') {
      try {
        input = json.trim() ? JSON.parse(json) : undefined;
      } catch (e) {
        setError({ code: 'invalid-json', message: `the input is not JSON: ${(e as Error).message}`, hint: 'write a JSON value, e.g. {"pixels": [ … ]}, or {} for none' });
        return;
      }
    } else input = { pixels };
    setBusy(true);
    setError(undefined);
    try {
      setAnswer(await call('invoke', { workflow, function: chosen, ...(input !== undefined ? { input } : {}) }));
    } catch (e) {
      setAnswer(undefined);
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="rt-head">
        <h3>Invoke</h3>
        <select value={chosen} onChange={(e) => setFn(e.target.value)} data-testid="invoke-function" className="fn-select">
          {functions.map((f) => (
            <option key={f} value={f}>
              {f}
              {rt.deploy[f]?.status === 'ready' ? '' : ' (not deployed)'}
            </option>
          ))}
        </select>
        <span className="seg">
          <button className={`seg-b${mode === 'json' ? ' on' : ''}`} onClick={() => setMode('json')} data-testid="invoke-mode-json">
            JSON
          </button>
          <button className={`seg-b${mode === 'digit' ? ' on' : ''}`} onClick={() => setMode('digit')} data-testid="invoke-mode-digit">
            Image
          </button>
        </span>
        <span className="spacer" />
        <button className="button primary small" disabled={busy || !chosen} onClick={() => void invoke()} data-testid="invoke-run">
          {busy ? 'Running…' : 'Invoke'}
        </button>
      </div>
      <div className="invoke-body">
        {mode === 'json' ? (
          <textarea className="mono json-input" value={json} onChange={(e) => setJson(e.target.value)} spellCheck={false} data-testid="invoke-json" />
        ) : (
          <div className="digit-input">
            <DigitPad
              pixels={pixels}
              onChange={(p) => {
                setPixels(p);
                setLabel(undefined);
              }}
            />
            <div className="digit-actions">
              <span className="inline">
                <button className="button small" onClick={() => void sample()} data-testid="sample-digit">
                  Sample digit
                </button>
                <select value={want} onChange={(e) => setWant(e.target.value)} data-testid="sample-digit-choice" title="which digit to take from mnist">
                  <option value="any">any</option>
                  {Array.from({ length: 10 }, (_, i) => (
                    <option key={i} value={String(i)}>
                      {i}
                    </option>
                  ))}
                </select>
              </span>
              <button
                className="button ghost small"
                onClick={() => {
                  setPixels(new Array(784).fill(0));
                  setLabel(undefined);
                }}
              >
                Clear
              </button>
              <div className="muted small">{label !== undefined ? `a real ${label} from mnist (not in the training set)` : 'draw a digit, or take a real one'}</div>
            </div>
          </div>
        )}
        <div className="invoke-result" data-testid="invoke-result">
          {busy && (
            <div className="progress-line">
              <div className="bar" /> running {chosen} on its node{chosen.startsWith('train') ? ' (training takes a few seconds)' : ''} …
            </div>
          )}
          {error && <ErrorBox error={error} />}
          {answer && !busy && (
            <>
              <Prediction a={answer} />
              <dl className="facts compact">
                <dt>node</dt>
                <dd data-testid="invoke-node">{answer.node}{answer.attempts > 1 ? ' (retried on another node)' : ''}</dd>
                <dt>latency</dt>
                <dd data-testid="invoke-latency">
                  {ms(answer.timings.totalMs)} <span className="muted small" data-testid="invoke-latency-parts">({answer.cold ? 'cold' : 'warm'}: {latencyBreakdown(answer.timings)})</span>
                </dd>
                <dt>model</dt>
                <dd data-testid="invoke-model">{answer.models.length ? answer.models.join(', ') : '–'}</dd>
                {answer.modelRanOn && (
                  <>
                    <dt>ran on</dt>
                    <dd data-testid="invoke-ran-on" title="where the model ran: edgetpu, cpu, or cpu with the reason it fell back">
                      {answer.modelRanOn}
                    </dd>
                  </>
                )}
                {answer.produced.length > 0 && (
                  <>
                    <dt>produced</dt>
                    <dd>{answer.produced.join(', ')}</dd>
                  </>
                )}
                {answer.gates.map((g, i) => (
                  <span key={i} style={{ display: 'contents' }}>
                    <dt>gate {g.kind}</dt>
                    <dd className={g.pass ? 'ok' : 'error'}>{g.pass ? 'pass' : 'FAIL'} {g.detail ?? ''}</dd>
                  </span>
                ))}
                <dt>run</dt>
                <dd className="mono small">{answer.run}</dd>
              </dl>
              <pre className="json small">{JSON.stringify(answer.output, null, 2)}</pre>
            </>
          )}
        </div>
      </div>
    </>
  );
}
