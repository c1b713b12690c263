/**
 * The HTTP client the wrapper uses when it runs on the image's own shell.
 */
export enum HttpClient {
  /** `wget` (busybox or GNU), each request bounded by the `timeout` command. */
  WGET = 'wget',
  /** `curl`, each request bounded by `--max-time`. */
  CURL = 'curl',
}

/**
 * Options for `WrapperRuntime.busybox()`.
 */
export interface BusyboxRuntimeOptions {
  /**
   * The image that provides a statically linked busybox at `/bin/busybox`. Override it to pull from
   * a private mirror or to pin a digest (`registry.example.com/busybox@sha256:...`).
   *
   * @default "busybox:1.36.1-uclibc" - Docker's official image, uclibc variant (statically linked)
   */
  readonly image?: string;
}

/**
 * Options for `WrapperRuntime.imageShell()`.
 */
export interface ImageShellRuntimeOptions {
  /**
   * Absolute path of a POSIX shell in the application image.
   *
   * @default "/bin/sh"
   */
  readonly shell?: string;

  /**
   * The HTTP client on the image's PATH. With `HttpClient.WGET` the image also needs `timeout`.
   *
   * @default HttpClient.WGET
   */
  readonly httpClient?: HttpClient;
}

/** What the wrapper runs with, resolved. @internal */
export interface ResolvedRuntime {
  /** Image of the init container that copies busybox into the shared volume; absent for imageShell. */
  readonly busyboxImage?: string;
  /** Absolute shell path in the app image; absent when busybox provides it. */
  readonly shell?: string;
  readonly httpClient: HttpClient;
}

/** Default busybox image: the official image's uclibc variant is statically linked. */
export const DEFAULT_BUSYBOX_IMAGE = 'busybox:1.36.1-uclibc';

const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._\-/]*$/;

/**
 * Where the wrapper's shell and HTTP client come from.
 */
export class WrapperRuntime {
  /**
   * An init container copies a static busybox into a shared emptyDir and the wrapper runs with it:
   * works in any image, including `FROM scratch` and distroless ones.
   */
  public static busybox(options: BusyboxRuntimeOptions = {}): WrapperRuntime {
    const image = options.image ?? DEFAULT_BUSYBOX_IMAGE;
    if (!IMAGE_REFERENCE.test(image)) {
      throw new Error(
        `busybox runtime image ${JSON.stringify(image)} is not a valid image reference: ` +
        'use [registry/]name[:tag][@sha256:digest], e.g. "busybox:1.36.1-uclibc"',
      );
    }
    return new WrapperRuntime({ busyboxImage: image, httpClient: HttpClient.WGET });
  }

  /**
   * The wrapper runs on the application image's own shell and HTTP client: no init container, but
   * the image must have a POSIX shell and wget (with `timeout`) or curl.
   */
  public static imageShell(options: ImageShellRuntimeOptions = {}): WrapperRuntime {
    const shell = options.shell ?? '/bin/sh';
    if (!ABSOLUTE_PATH.test(shell)) {
      throw new Error(
        `image shell ${JSON.stringify(shell)} is not an absolute path: use e.g. "/bin/sh" or "/bin/bash"`,
      );
    }
    return new WrapperRuntime({ shell, httpClient: options.httpClient ?? HttpClient.WGET });
  }

  /** @internal */
  public readonly _resolved: ResolvedRuntime;

  private constructor(resolved: ResolvedRuntime) {
    this._resolved = resolved;
  }
}
