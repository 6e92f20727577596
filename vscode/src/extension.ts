/**
 * jupyter-mlops for VS Code: the CLI's verbs as commands ("MLOps: …"), a New Project wizard and a status view.
 * Activation is lazy (VS Code activates on the contributed commands and the view) and cheap: the modules that
 * do the work are loaded when a command first runs; only the tree's small module loads with the view.
 */
import * as vscode from "vscode";

export let activationMs = 0;

export function activate(context: vscode.ExtensionContext): { activationMs: number } {
  const started = performance.now();
  const commands = () => require("./commands") as typeof import("./commands");
  let tree: import("./status").StatusTree | undefined;
  const statusTree = () => {
    if (!tree) {
      const { StatusTree } = require("./status") as typeof import("./status");
      tree = new StatusTree();
      context.subscriptions.push(tree);
    }
    return tree;
  };
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider("jupyterMlops.status", {
      onDidChangeTreeData: (listener, thisArgs, disposables) => statusTree().onDidChangeTreeData(listener, thisArgs, disposables),
      getTreeItem: (node) => statusTree().getTreeItem(node),
      getChildren: (node) => statusTree().getChildren(node),
    } as vscode.TreeDataProvider<import("./status").Node>),
    vscode.commands.registerCommand("jupyterMlops.newProject", () =>
      (require("./wizard") as typeof import("./wizard")).openWizard(context),
    ),
    vscode.commands.registerCommand("jupyterMlops.showStatus", async () => {
      statusTree().refresh();
      await vscode.commands.executeCommand("jupyterMlops.status.focus");
    }),
    vscode.commands.registerCommand("jupyterMlops.refreshStatus", () => statusTree().refresh()),
    vscode.commands.registerCommand("jupyterMlops.push", (node) => commands().push(node)),
    vscode.commands.registerCommand("jupyterMlops.setSecret", (node) => commands().setSecret(node)),
    vscode.commands.registerCommand("jupyterMlops.preflight", (node) => commands().preflight(node)),
    vscode.commands.registerCommand("jupyterMlops.inferenceTests", (node) => commands().inferenceTests(node)),
    vscode.commands.registerCommand("jupyterMlops.runLocal", (node) => commands().runLocal(node)),
    vscode.commands.registerCommand("jupyterMlops.submit", (node) => commands().submit(node)),
    vscode.commands.registerCommand("jupyterMlops.promote", (node) => commands().promote(node)),
    vscode.commands.registerCommand("jupyterMlops.sync", (node) => commands().sync(node)),
  );
  activationMs = performance.now() - started;
  return { activationMs };
}

export function deactivate(): void {
  try {
    (require("./runner") as typeof import("./runner")).forgetTokens();
  } catch {
    // never loaded: nothing to forget
  }
}
