import { createRoot } from 'react-dom/client';
import { createBrowserRouter } from 'react-router';
import { createApp } from './app';
import { routes } from './routes';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  createApp(createBrowserRouter(routes, { basename: '/ui' })),
);
