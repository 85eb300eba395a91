// The outcome of one plugin call, as upstream's framework.Status: a code and the user-visible
// reasons that end up in the FailedScheduling message.

export enum Code {
  Success = 0,
  Error = 1,
  /** Not schedulable here now; preemption may help. */
  Unschedulable = 2,
  /** Not schedulable here and preemption cannot change that. */
  UnschedulableAndUnresolvable = 3,
  Wait = 4,
  /** The plugin has nothing to do for this pod (from PreFilter/PreScore): later calls are skipped. */
  Skip = 5,
  /** PreFilter found this pod cannot be scheduled at all before looking at nodes. */
  Pending = 6,
}

export class Status {
  /** The plugin that produced a non-success status (set by the framework). */
  plugin = '';
  constructor(
    readonly code: Code,
    readonly reasons: string[] = [],
  ) {}

  static success(): Status {
    return SUCCESS;
  }
  static skip(): Status {
    return SKIP;
  }
  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons);
  }
  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons);
  }
  static error(message: string): Status {
    return new Status(Code.Error, [message]);
  }

  isSuccess(): boolean {
    return this.code === Code.Success;
  }
  isSkip(): boolean {
    return this.code === Code.Skip;
  }
  /** Unschedulable or UnschedulableAndUnresolvable. */
  isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable || this.code === Code.Pending;
  }
  message(): string {
    return this.reasons.join(', ');
  }
  withPlugin(name: string): Status {
    if (this === SUCCESS || this === SKIP) return this;
    this.plugin = name;
    return this;
  }
}

const SUCCESS = new Status(Code.Success);
const SKIP = new Status(Code.Skip);
