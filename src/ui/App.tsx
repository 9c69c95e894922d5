import { IclPanel } from './charts/IclPanel';
import { LossPanel } from './charts/LossPanel';
import { TaskGallery } from './gallery/TaskGallery';
import { LessonButton, LessonPanel } from './lesson/LessonPanel';
import { ProbeLabPanel } from './probe/ProbeLabPanel';
import { AttentionPanel, SsmPanel } from './probe/ProbePanels';
import { RunList } from './runs/RunList';
import { Shortcuts } from './Shortcuts';
import { Shown } from './Shown';
import { LinkNotice } from './share/LinkNotice';
import { ThemeSwitch } from './ThemeSwitch';
import { Table1Button } from './table1/Table1View';
import { TrainingPanel } from './training/TrainingPanel';
import './first-screen.css';

export function App() {
  return (
    <>
      <header className="page-header">
        <div className="header-bar">
          <h1>ICL Lab</h1>
          <div className="header-tools">
            <Table1Button />
            <LessonButton />
            <ThemeSwitch />
            <Shortcuts />
          </div>
        </div>
        <p className="tagline">
          Watch in-context learning happen: pick a task and some architectures, train them side by side in
          your browser on the same prompts, and compare them with the classical algorithms.
        </p>
      </header>
      <main className="page-main">
        <LinkNotice />
        <LessonPanel />
        <Shown panel="gallery">
          <TaskGallery />
        </Shown>
        <TrainingPanel />
        <div className="chart-grid">
          <Shown panel="loss">
            <LossPanel />
          </Shown>
          <Shown panel="icl">
            <IclPanel />
          </Shown>
        </div>
        <Shown panel="probe">
          <ProbeLabPanel />
        </Shown>
        <div className="chart-grid">
          <Shown panel="attention">
            <AttentionPanel />
          </Shown>
          <Shown panel="ssm">
            <SsmPanel />
          </Shown>
        </div>
        <Shown panel="runs">
          <RunList />
        </Shown>
      </main>
    </>
  );
}
