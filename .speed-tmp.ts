import * as tf from '@tensorflow/tfjs';
import { Trainer } from '/work/main/src/train/trainer';
import { presetExperiment } from '/work/main/src/train/presets';
import { parseExperiment } from '/work/main/src/schema/experiment';
await tf.setBackend('cpu');
const archs = ['transformer','mamba','mambaformer'] as const;
for (const tiny of [true, false]) {
  const e = tiny ? presetExperiment('classroom','linear-regression',[...archs],0,{ models: archs.map(a=>({arch:a,dModel:8,nLayer:1,nHead:2,dState:4})), batchSize: 8 }) : presetExperiment('classroom','linear-regression',[...archs]);
  for (let i=0;i<3;i++){
    const t = new Trainer(e, i);
    await t.train(3);
    const s=performance.now(); await t.train(20, {readEvery:10}); const ms=(performance.now()-s)/20;
    const n0 = tf.memory().numTensors;
    await t.train(20); 
    console.log(tiny?'tiny':'classroom', archs[i], ms.toFixed(1),'ms/step', 'tensors', n0, tf.memory().numTensors, 'seqLen', t.batchAt().seqLen);
    const p = performance.now(); const c = await t.evaluate(); console.log(' eval ms', (performance.now()-p).toFixed(0), c.length, c[0].curves[0].mean.length);
    const q = performance.now(); const pr = await t.probe(); console.log(' probe ms', (performance.now()-q).toFixed(0), pr.layers.map(l=>l.kind));
    t.dispose();
  }
}
