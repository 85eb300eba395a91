// What busybox nslookup answered, for the e2e tests that resolve names from inside a pod.

/** The A-record addresses of busybox nslookup's output (the server's own address, printed first, left out). */
export function nslookupAddresses(stdout: string): string[] {
  return [
    ...stdout
      .split(/\nName:\s/)
      .slice(1)
      .join('\n')
      .matchAll(/Address:\s*([0-9.]+)/g),
  ].map((m) => m[1]!);
}
