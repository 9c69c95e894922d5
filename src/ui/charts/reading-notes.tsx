/**
 * The words of the "How to read this" notes, one per chart, written for a student who has never
 * seen the chart before (product.md: the student in the classroom).
 */

export function LossReading() {
  return (
    <>
      <p>
        Across: training steps. Up: the loss of each model on that step’s batch (squared error for number
        answers, cross-entropy for tokens and bits); lower is better. Every step draws new prompts, so a
        wobbly line is normal.
      </p>
      <p>
        Good: the line falls, then flattens. Bad: a line that never falls (the model is too small or the task
        too hard for this many steps), or one that jumps up (the learning rate is too high). Compare how soon
        each model’s line falls, not only where it ends; whether a model learned <em>in context</em> is shown
        by the In-context error chart.
      </p>
    </>
  );
}

export function RecallReading() {
  return (
    <>
      <p>
        Across: which key–value pair of the prompt the query asked for (1 = the first pair, the right end =
        the pair just before the query). Up: the share of evaluation prompts answered right (1 = always).
      </p>
      <p>
        A flat line near 1 means the model remembers every pair. A line that sags toward the left means it
        forgets early pairs: a fixed-size state (Mamba) has to overwrite old content, attention can look back
        at any pair. Compare the left ends of the lines.
      </p>
    </>
  );
}

export function AttentionReading() {
  return (
    <>
      <p>
        One square per block and head, all on the same probe prompt at the step shown. Row = the token that
        looks (top = first token), column = the token it looks at (left = first); a token sees only itself and
        earlier tokens, so the upper-right triangle stays empty. A stronger colour means more weight; each
        row’s weights add up to 1.
      </p>
      <p>
        Before training the triangle is a smooth blur. Learning shows up as structure: a bright line just
        below the diagonal (each token looking at the one before), or bright columns on the tokens the answer
        needs (the key that matches the query). Compare heads, which often take different jobs, and compare
        with Mamba’s implicit attention in the SSM state panel.
      </p>
    </>
  );
}

export function SsmReading() {
  return (
    <>
      <p>
        Δ (channels × tokens): across = tokens of the probe prompt, up = channels. A stronger colour = a
        larger step Δ: that token is written strongly into the state and older content fades faster; a faint
        column = the token is mostly skipped. A selective model that has learned shows Δ changing from token
        to token (bright on the tokens that matter); the same Δ everywhere means it does not select.
      </p>
      <p>
        ‖h_t‖: the size of the state after each token, left to right; a line that keeps rising is a state
        filling up, one that levels off is forgetting as fast as it writes. Implicit attention: how much each
        earlier token (column) feeds the output at each token (row) through the scan, one colour for positive
        and another for negative. Compare it with the Transformer’s attention map of the same prompt: similar
        pictures mean the two solve the task the same way.
      </p>
    </>
  );
}

export function CompareReading() {
  return (
    <>
      <p>
        Run A is drawn with solid lines, run B with dashed lines, one colour per model. Left: training loss
        against training steps. Right: the in-context error against the number of examples in the prompt, at
        each run’s latest evaluation. “From A to B” lists what you changed between them.
      </p>
      <p>
        Lines of B below A’s: the change helped. Lines on top of each other: it made no difference at this
        size; try more steps or another seed before concluding. Read both charts: a change can make the loss
        fall sooner without lowering the final in-context error.
      </p>
    </>
  );
}
