/**
 * The "MLOps Projects" tree: each project of the workspace (a folder with mlops.toml) as `jupyter mlops
 * status --json` reports it — branches with their last commit, the remote, the secrets mode and each branch's
 * CI secrets. It refreshes when git moves (refs, HEAD, config) or mlops.toml changes: the new state is read
 * first and shown when complete (./snapshot), so an item's context-menu action never runs without its item.
 */
import * as path from "path";
import * as vscode from "vscode";
import { run } from "./runner";
import { Snapshot } from "./snapshot";

export interface BranchStatus {
  name: string;
  exists: boolean;
  commit: string | null;
  subject: string;
  date: string;
  remote: string;
  current: boolean;
  environment: string | null;
  secrets: string[];
  /** Passed on only when set (the MLflow login, for a server with login). */
  optional_secrets?: string[];
}

export interface ProjectStatus {
  root: string;
  name: string;
  kind: string;
  default_branch: string;
  secrets_mode: string;
  branches: BranchStatus[];
  remote: { kind: string; url: string | null; repository: string | null; web_url: string | null; api_url: string | null };
  uncommitted: string[];
}

export class Node extends vscode.TreeItem {
  constructor(
    label: string,
    collapsible: vscode.TreeItemCollapsibleState,
    readonly project?: ProjectStatus,
    readonly branch?: BranchStatus,
    readonly children: Node[] = [],
  ) {
    super(label, collapsible);
  }
}

/** The workspace's projects: folders holding mlops.toml (the workspace folders and below, at most 50). */
export async function findProjects(): Promise<string[]> {
  const files = await vscode.workspace.findFiles("**/mlops.toml", "**/{node_modules,.git,local_outputs}/**", 50);
  return [...new Set(files.map((f) => path.dirname(f.fsPath)))].sort();
}

export async function projectStatus(root: string): Promise<ProjectStatus | undefined> {
  const outcome = await run({ title: "Project Status", args: ["status", root], quietErrors: true, background: true });
  return outcome.result as ProjectStatus | undefined;
}

function remoteText(p: ProjectStatus): string {
  const r = p.remote;
  return r.kind === "github" ? `GitHub ${r.repository}` : r.kind === "none" ? "no remote yet" : `${r.kind} ${r.url ?? ""}`;
}

function branchNode(p: ProjectStatus, b: BranchStatus): Node {
  const where = b.environment ? `environment ${b.environment}` : "repository secret";
  const secretNode = (name: string, optional: boolean) => {
    const n = new Node(name, vscode.TreeItemCollapsibleState.None);
    n.iconPath = new vscode.ThemeIcon("key");
    n.description = optional ? `optional · ${where}` : where;
    return n;
  };
  const optional = b.optional_secrets ?? [];
  const secrets = [...b.secrets.map((s) => secretNode(s, false)), ...optional.map((s) => secretNode(s, true))];
  const node = new Node(
    b.name,
    secrets.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    p,
    b,
    secrets,
  );
  node.id = `${p.root}#${b.name}`;
  node.contextValue = "mlopsBranch";
  node.iconPath = new vscode.ThemeIcon(b.current ? "git-branch" : "source-control");
  node.description = b.exists ? `${(b.commit ?? "").slice(0, 8)} ${b.subject} · ${b.remote}` : "missing (init recreates it)";
  node.tooltip = b.exists
    ? `${b.name}: ${b.commit} (${b.date})\n${b.subject}\nremote: ${b.remote}\nCI secrets: ${b.secrets.join(", ") || "none"}` +
      (optional.length ? `\noptional: ${optional.join(", ")}` : "")
    : `${b.name} is missing; jupyter mlops init recreates it`;
  return node;
}

function projectNode(p: ProjectStatus): Node {
  const info = (label: string, description: string, icon: string) => {
    const n = new Node(label, vscode.TreeItemCollapsibleState.None, p);
    n.description = description;
    n.iconPath = new vscode.ThemeIcon(icon);
    return n;
  };
  const children = [
    info("remote", remoteText(p), "cloud"),
    info("secrets mode", p.secrets_mode, "lock"),
    ...p.branches.map((b) => branchNode(p, b)),
  ];
  const node = new Node(p.name, vscode.TreeItemCollapsibleState.Expanded, p, undefined, children);
  node.id = p.root;
  node.contextValue = "mlopsProject";
  node.description = vscode.workspace.asRelativePath(p.root);
  node.iconPath = new vscode.ThemeIcon("repo");
  node.tooltip = `${p.name} (${p.kind}) in ${p.root}`;
  return node;
}

async function loadProjects(): Promise<Node[]> {
  const roots = await findProjects();
  const statuses = await Promise.all(roots.map((root) => projectStatus(root)));
  return statuses.filter((s): s is ProjectStatus => Boolean(s)).map(projectNode);
}

export class StatusTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly projects = new Snapshot(loadProjects, () => this.changed.fire(undefined));

  constructor() {
    // Branches and commits (HEAD, refs), the remote (.git/config: origin, and where a push to GitHub went).
    for (const glob of ["**/.git/HEAD", "**/.git/refs/**", "**/.git/config", "**/mlops.toml"]) {
      const watcher = vscode.workspace.createFileSystemWatcher(glob);
      for (const event of [watcher.onDidChange, watcher.onDidCreate, watcher.onDidDelete]) {
        this.disposables.push(event(() => this.refreshSoon()));
      }
      this.disposables.push(watcher);
    }
    this.disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()));
  }

  /** Read the projects again; the view changes once they are read. */
  refresh(): void {
    this.projects.reload();
  }

  /** Many git files change at once (a commit, a push): one refresh for the burst. */
  refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 500);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    return node ? node.children : this.projects.get();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}
