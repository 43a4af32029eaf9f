import { mountCustomerDisplay } from './CustomerDisplay';
import './styles.css';

const root = document.getElementById('root');
if (root !== null) mountCustomerDisplay(root);
