import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { HqDashboard } from './HqDashboard';
import './hq.css';

const root = document.getElementById('root');
if (root !== null) {
  createRoot(root).render(
    <StrictMode>
      <HqDashboard />
    </StrictMode>,
  );
}
