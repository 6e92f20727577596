/**
 * A project folder's status view state: what `GET status` says (branches, remote, secrets scoping), and the
 * CI preflight of one branch run by the server as a job. The view (components/StatusView.tsx) renders it.
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
import type { IStatus } from './apitypes';
import { IProgressLine, withEvent } from './progress';

export interface IPreflight {
  branch: string;
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
  async runPreflight(branch: string): Promise<void> {
    if (this.preflight?.state === 'running') {
      return;
    }
    this.preflight = {
      branch,
      progress: [],
      state: 'running',
      banner: NO_BANNER
    };
    this.changed();
    let preflight: IPreflight;
    try {
      const job = await followJob(
        this.api,
        'check',
        { path: this.path, branch },
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
