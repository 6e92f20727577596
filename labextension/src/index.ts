import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlops:plugin',
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    console.log('jupyter-mlops activated', app.name);
  }
};

export default plugin;
