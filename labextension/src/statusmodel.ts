/**
 * A project folder's status view state: what `GET status` says (branches, remote, secrets scoping), and the
 * CI preflight or the inference tests of one branch, run by the server as a `check` job (one at a time: the
 * view shows the last one). The view (components/StatusView.tsx) renders it.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  bannerOf,
  followJob,
  IBanner,
  IMlopsAPI,
  jobError,
  NO_BANNER
} from './api';
import type { ICheckRequest, IStatus } from './apitypes';
import { IProgressLine, withEvent } from './progress';

/** `preflight`: the branch's `main.py --check`; `inference`: its `main.py --inference-test` against the
 * branch's deployed model (`POST check` with `inference: true`). */
export type CheckKind = 'preflight' | 'inference';

export interface IPreflight {
  branch: string;
  kind: CheckKind;
  progress: IProgressLine[];
  state: 'running' | 'passed' | 'failed';
  banner: IBanner;
}

export class StatusModel implements IDisposable {
  constructor(
    private readonly api: IMlopsAPI,
    readonly path: string,
    private readonly pollMs?: number
  ) {}

  status: IStatus | null = null;
  loading = false;
  banner: IBanner = NO_BANNER;
  preflight: IPreflight | null = null;

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  async refresh(): Promise<void> {
    this.loading = true;
    this.banner = NO_BANNER;
    this.changed();
    try {
      this.status = await this.api.status(this.path);
    } catch (error) {
      this.status = null;
      this.banner = bannerOf(error);
    } finally {
      this.loading = false;
      this.changed();
    }
  }

  /** The CI preflight of one branch (data reachable, KFP reachable, secrets present), run by the server. */
  runPreflight(branch: string): Promise<void> {
    return this.runCheck(branch, 'preflight');
  }

  /** The project's inference tests against the branch's deployed model (KServe's V1 and V2 protocols). */
  runInferenceTests(branch: string): Promise<void> {
    return this.runCheck(branch, 'inference');
  }

  private async runCheck(branch: string, kind: CheckKind): Promise<void> {
    if (this.preflight?.state === 'running') {
      return;
    }
    this.preflight = {
      branch,
      kind,
      progress: [],
      state: 'running',
      banner: NO_BANNER
    };
    this.changed();
    const body: ICheckRequest = { path: this.path, branch };
    if (kind === 'inference') {
      body.inference = true;
    }
    let preflight: IPreflight;
    try {
      const job = await followJob(
        this.api,
        'check',
        body,
        event => {
          const progress = withEvent(this.preflight!.progress, 'check', event);
          this.preflight = { ...this.preflight!, progress };
          this.changed();
        },
        undefined,
        this.pollMs
      );
      preflight =
        job.state === 'succeeded'
          ? { ...this.preflight, state: 'passed' }
          : {
              ...this.preflight,
              state: 'failed',
              banner: bannerOf(jobError(job))
            };
    } catch (error) {
      preflight = {
        ...this.preflight,
        state: 'failed',
        banner: bannerOf(error)
      };
    }
    this.preflight = preflight;
    this.changed();
  }

  dispose(): void {
    this._disposed = true;
    Signal.clearData(this);
  }

  private changed(): void {
    if (!this._disposed) {
      this._stateChanged.emit();
    }
  }

  private _disposed = false;
  private readonly _stateChanged = new Signal<this, void>(this);
}
