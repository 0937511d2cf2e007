/** What to do about the file-system errors a run can meet while writing. */
const HINTS: Record<string, string> = {
  ENOSPC: 'free some disk space',
  EDQUOT: 'free some disk space (the disk quota is used up)',
  EACCES: 'choose a folder you may write to',
  EPERM: 'choose a folder you may write to',
  EROFS: 'choose a folder on a writable disk',
  ENOENT: 'choose a folder that can hold files',
  ENOTDIR: 'choose a folder that can hold files',
  EISDIR: 'remove the folder that is in the way',
};

/** An error for a failed file operation in one line: `what` (the flag or file, and what was being done), the system's
 *  reason without the syscall and path node appends, and what to do about it. Other errors are returned unchanged. */
export function fsFailure(e: unknown, what: string): Error {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string' || typeof err.message !== 'string') return e as Error;
  const reason = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '');
  const hint = HINTS[err.code];
  return new Error(`${what} (${reason})${hint ? `; ${hint}` : ''}`);
}
