import { LabIcon } from '@jupyterlab/ui-components';

/** Three branches flowing into one pipeline: the launcher tile's and the panels' icon. */
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="5" cy="5" r="2.5"/><circle cx="5" cy="12" r="2.5"/><circle cx="5" cy="19" r="2.5"/>
    <rect x="15" y="8.5" width="7" height="7" rx="1.5"/>
  </g>
  <g class="jp-icon3" fill="none" stroke="#616161" stroke-width="1.6">
    <path d="M7.5 5 C11 5 11 12 15 12"/><path d="M7.5 12 H15"/><path d="M7.5 19 C11 19 11 12 15 12"/>
  </g>
</svg>`;

export const mlopsIcon = new LabIcon({ name: 'jupyter-mlops:icon', svgstr });
