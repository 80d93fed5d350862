// first: starts the connection and the first data while the rest of this script evaluates
import { early } from './boot';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App';
import { setClient } from './api';
import { connectWebSocketClient } from './studio-client';

async function boot() {
  performance.mark('studio:boot');
  // elkjs loads on first use only: a project with layout.json never needs it to open
  const root = createRoot(document.getElementById('root')!);
  try {
    // Electron: the preload exposed window.studio; browser mode: connect over the WebSocket
    const client = window.studio ?? (await connectWebSocketClient(window.location, early?.socket));
    setClient(client);
    performance.mark('studio:connected');
    const boot = await early?.boot;
    const info = boot?.info ?? (await client.call('studio.info', {}));
    const fromUrl = new URLSearchParams(window.location.search).get('project') ?? undefined;
    const initialProject = fromUrl ?? (info.ok ? info.value.initialProject : undefined);
    // the initial project's snapshot came with the boot data; an error there is asked for again (and shown) by the App
    const initialSnapshot = boot?.project?.ok ? boot.project.value : undefined;
    root.render(<App initialProject={initialProject} initialSnapshot={initialSnapshot} />);
  } catch (e) {
    root.render(
      <div className="welcome">
        <div className="welcome-card">
          <h1>Edge AI Studio cannot start</h1>
          <p className="error">{(e as Error).message}</p>
        </div>
      </div>,
    );
  }
}
void boot();
