import { IclPanel } from './IclPanel';
import { LossPanel } from './LossPanel';
import { AttentionPanel, SsmPanel } from './ProbePanels';
import { RunList } from './RunList';
import { TaskGallery } from './TaskGallery';
import { TrainingPanel } from './TrainingPanel';

export function App() {
  return (
    <>
      <header className="page-header">
        <h1>ICL Lab</h1>
        <p className="tagline">
          Watch in-context learning happen: pick a task and some architectures, train them side by side in
          your browser on the same prompts, and compare them with the classical algorithms.
        </p>
      </header>
      <main className="page-main">
        <TaskGallery />
        <TrainingPanel />
        <div className="chart-grid">
          <LossPanel />
          <IclPanel />
        </div>
        <div className="chart-grid">
          <AttentionPanel />
          <SsmPanel />
        </div>
        <RunList />
      </main>
    </>
  );
}
