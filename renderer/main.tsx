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
    const client = window.studio ?? (await connectWebSocketClient());
    setClient(client);
    performance.mark('studio:connected');
    const info = await client.call('studio.info', {});
    const fromUrl = new URLSearchParams(window.location.search).get('project') ?? undefined;
    root.render(<App initialProject={fromUrl ?? (info.ok ? info.value.initialProject : undefined)} />);
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
