import {
  pairKey,
  pairValue,
  setQueriedPair,
  type TokenRecallDraft,
  type VectorRecallDraft,
} from '../../app/probe/probe-editor';
import { useProbeLab } from '../../app/probe/probe-lab-instance';

/** Which key the (first) query of a recall prompt asks for. */
export function RecallPicker({ draft }: { draft: VectorRecallDraft | TokenRecallDraft }) {
  const edit = useProbeLab((s) => s.edit);
  const option = (j: number) =>
    draft.kind === 'token-recall'
      ? `Key ${pairKey(draft, j)[0]} → ${pairValue(draft, j)[0]} (pair ${j + 1})`
      : `Key ${j + 1} of ${draft.nPairs}`;
  return (
    <div className="recall-picker">
      <label>
        Queried key{' '}
        <select
          value={draft.queried}
          onChange={(e) => {
            const pair = Number(e.target.value);
            edit((d) => setQueriedPair(d as VectorRecallDraft | TokenRecallDraft, pair));
          }}
        >
          {Array.from({ length: draft.nPairs }, (_, j) => ({ j, name: `pair ${j + 1}` })).map(
            ({ j, name }) => (
              <option key={name} value={j}>
                {option(j)}
              </option>
            ),
          )}
        </select>
      </label>
      <p className="hint">
        {draft.kind === 'token-recall'
          ? 'The first query token becomes the chosen key (and the answer token after it its value).'
          : 'The query becomes an exact copy of the chosen key; the right answer is the value stored with it.'}{' '}
        Pairs further back test how long a model keeps an association.
      </p>
    </div>
  );
}
