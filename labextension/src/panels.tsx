/**
 * The panels as JupyterLab widgets: each owns its model and re-renders its React view when the model's
 * `stateChanged` fires. Loaded only when a panel is opened (index.ts imports this module lazily).
 */
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React from 'react';

import { serverAPI } from './api';
import { StatusView } from './components/StatusView';
import { IWizardActions, WizardView } from './components/WizardView';
import { WizardModel } from './model';
import { StatusModel } from './statusmodel';

export interface IWizardPanelOptions extends IWizardActions {
  /** The file browser's folder when the wizard was opened. */
  cwd: string;
  /** Called once the project folder exists, so the file browser shows it. */
  refresh: () => void;
}

export class WizardPanel extends ReactWidget {
  readonly model: WizardModel;

  constructor(private readonly options: IWizardPanelOptions) {
    super();
    this.addClass('jp-mlops-Panel');
    this.addClass('jp-mlops-Wizard');
    this.title.label = 'New MLOps project';
    this.title.closable = true;
    this.model = new WizardModel(serverAPI, { cwd: options.cwd });
    this.model.projectCreated.connect(() => options.refresh());
    void this.model.load();
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this.model.stateChanged}>
        {() => <WizardView model={this.model} {...this.options} />}
      </UseSignal>
    );
  }

  dispose(): void {
    this.model.dispose(); // forgets the token and secret values
    super.dispose();
  }
}

export class StatusPanel extends ReactWidget {
  readonly model: StatusModel;

  constructor(path: string) {
    super();
    this.addClass('jp-mlops-Panel');
    this.addClass('jp-mlops-Status');
    this.title.label = `MLOps: ${path || '/'}`;
    this.title.closable = true;
    this.model = new StatusModel(serverAPI, path);
    void this.model.refresh();
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this.model.stateChanged}>
        {() => <StatusView model={this.model} />}
      </UseSignal>
    );
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}
