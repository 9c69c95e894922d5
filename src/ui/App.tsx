import { IclPanel } from './IclPanel';
import { TaskGallery } from './TaskGallery';

export function App() {
  return (
    <>
      <header className="page-header">
        <h1>ICL Lab</h1>
        <p className="tagline">
          Watch in-context learning happen: pick a task, see how classical algorithms learn it from the
          examples in a prompt.
        </p>
      </header>
      <main className="page-main">
        <TaskGallery />
        <IclPanel />
      </main>
    </>
  );
}
