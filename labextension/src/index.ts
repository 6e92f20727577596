/**
 * jupyter-mlops in JupyterLab: a launcher tile, a command palette entry and File › New item that open
 * the new-project wizard, and "MLOps project status" on folders in the file browser's context menu.
 *
 * Activation only registers commands: the panels' code is loaded, and the REST API first called,
 * when a panel is opened, so opening JupyterLab costs nothing and sends no request to our API.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import type { Widget } from '@lumino/widgets';

import { mlopsIcon } from './icon';

const NEW_PROJECT = 'jupyter-mlops:new-project';
const STATUS = 'jupyter-mlops:status';
const CATEGORY = 'MLOps';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlops:plugin',
  description:
    'Create ML project repositories wired for GitHub and Kubeflow Pipelines.',
  autoStart: true,
  optional: [ILauncher, ICommandPalette, IMainMenu, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null,
    browser: IDefaultFileBrowser | null
  ) => {
    const open = new Map<string, Widget>();

    const show = (key: string, make: () => Widget) => {
      let widget = open.get(key);
      if (!widget || widget.isDisposed) {
        widget = make();
        widget.id = `jupyter-mlops-${open.size}-${Date.now()}`;
        widget.title.icon = mlopsIcon;
        widget.disposed.connect(() => open.delete(key));
        open.set(key, widget);
        app.shell.add(widget, 'main');
      }
      app.shell.activateById(widget.id);
      return widget;
    };

    const openStatus = async (path: string) => {
      const { StatusPanel } = await import('./panels');
      show(`status:${path}`, () => new StatusPanel(path));
    };

    app.commands.addCommand(NEW_PROJECT, {
      label: args =>
        args.isLauncher
          ? 'MLOps project'
          : args.isMenu
            ? 'MLOps Project…'
            : 'New MLOps Project…',
      caption:
        'Create an ML project repository wired for GitHub and Kubeflow Pipelines',
      icon: args => (args.isPalette ? undefined : mlopsIcon),
      execute: async () => {
        const { WizardPanel } = await import('./panels');
        const cwd = browser?.model.path ?? '';
        show(
          'wizard',
          () =>
            new WizardPanel({
              cwd,
              openFolder: (path: string) =>
                void app.commands.execute('filebrowser:go-to-path', {
                  path: `/${path}`
                }),
              openStatus: (path: string) => void openStatus(path),
              refresh: () => void browser?.model.refresh()
            })
        );
      }
    });

    app.commands.addCommand(STATUS, {
      label: 'MLOps Project Status',
      caption:
        'Branches, remote, secrets and preflight of a jupyter-mlops project folder',
      icon: args => (args.isPalette ? undefined : mlopsIcon),
      execute: async args => {
        let path = typeof args.path === 'string' ? args.path : undefined;
        if (path === undefined && browser) {
          const selected = browser.selectedItems().next();
          const item = selected.done ? undefined : selected.value;
          path = item?.type === 'directory' ? item.path : browser.model.path;
        }
        await openStatus(path ?? '');
      }
    });

    launcher?.add({
      command: NEW_PROJECT,
      category: CATEGORY,
      rank: 1,
      args: { isLauncher: true }
    });
    palette?.addItem({ command: NEW_PROJECT, category: CATEGORY });
    palette?.addItem({ command: STATUS, category: CATEGORY });
    mainMenu?.fileMenu.newMenu.addGroup(
      [{ command: NEW_PROJECT, args: { isMenu: true } }],
      30
    );
    app.contextMenu.addItem({
      command: STATUS,
      selector: '.jp-DirListing-item[data-isdir="true"]',
      rank: 20
    });
  }
};

export default plugin;
