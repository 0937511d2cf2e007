import * as tf from '@tensorflow/tfjs';

/** What the host asked of the GPU while watched: exact counts, whatever the adapter. */
export interface GpuWork {
  /** Compute programs dispatched. */
  dispatches: number;
  /** Copies from one GPU buffer to another (not uploads, not read-backs): how our kernels hand out parts of a tensor
   *  their shader wrote whole (gpuKernels/shader.ts). */
  copies: number;
  /** Command buffers handed to the queue (GPUQueue.submit calls). */
  submits: number;
  /** GPUBuffers made (tfjs reuses freed ones; a new one is a driver allocation). */
  buffersCreated: number;
  /** Bind groups made (tfjs makes one for every dispatch). */
  bindGroups: number;
  /** Bytes sent to the GPU: tensors' values and programs' uniforms. */
  bytesUploaded: number;
  /** Bytes copied into buffers the host maps to read (tensors read back). */
  bytesReadBack: number;
}

/** The parts of Dawn's objects and of tfjs's WebGPUBackend we look at (neither's types are there when the optional
 *  packages are not installed). */
type Method = (...args: never[]) => unknown;
interface Watched {
  device: Record<string, Method> & { queue: Record<string, Method> };
  uploadToGPU: Method;
  tensorMap: { get(dataId: object): { values?: ArrayLike<number> & { byteLength?: number } | null; resource?: unknown } | undefined };
}

/** GPUBufferUsage.MAP_READ and MAP_WRITE: buffers the host maps to read (tensors read back) and to write (uploads). */
const MAP_READ = 0x0001;
const MAP_WRITE = 0x0002;

/** Counts the GPU work of the active webgpu backend until `stop()`, by wrapping the methods its device, queue and
 *  command encoders are called through (and its upload of tensors), then putting them back. */
export function watchGpuWork(): { work: GpuWork; stop(): void } {
  const backend = tf.backend() as unknown as Watched;
  const { device } = backend;
  if (tf.getBackend() !== 'webgpu' || !device?.queue) throw new Error('watchGpuWork: the active backend is not webgpu');
  const work: GpuWork = { dispatches: 0, copies: 0, submits: 0, buffersCreated: 0, bindGroups: 0, bytesUploaded: 0, bytesReadBack: 0 };
  const undo: (() => void)[] = [];
  const wrap = <T extends object>(target: T, name: string, before: (...args: never[]) => void, after?: (result: never) => void) => {
    const own = Object.prototype.hasOwnProperty.call(target, name);
    const original = Reflect.get(target, name) as Method;
    Reflect.set(target, name, function (this: unknown, ...args: never[]) {
      before(...args);
      const result = original.apply(this, args);
      after?.(result as never);
      return result;
    });
    undo.push(() => (own ? Reflect.set(target, name, original) : Reflect.deleteProperty(target, name)));
  };

  wrap(device, 'createBuffer', () => work.buffersCreated++);
  wrap(device, 'createBindGroup', () => work.bindGroups++);
  // encoders are made afresh after every submit: wrap each as it is made
  wrap(device, 'createCommandEncoder', () => undefined, (encoder: Record<string, Method>) => {
    const copy = encoder.copyBufferToBuffer;
    encoder.copyBufferToBuffer = function (this: unknown, ...args: never[]) {
      const [source, , destination, , size] = args as unknown as [{ usage: number }, number, { usage: number }, number, number];
      if (destination.usage & MAP_READ) work.bytesReadBack += size;
      else if (!(source.usage & MAP_WRITE)) work.copies++;
      return copy.apply(this, args);
    } as Method;
    const begin = encoder.beginComputePass;
    encoder.beginComputePass = function (this: unknown, ...args: never[]) {
      const pass = begin.apply(this, args) as Record<string, Method>;
      const dispatch = pass.dispatchWorkgroups;
      pass.dispatchWorkgroups = function (this: unknown, ...a: never[]) {
        work.dispatches++;
        return dispatch.apply(this, a);
      } as Method;
      return pass;
    } as Method;
  });
  wrap(device.queue, 'submit', () => work.submits++);
  wrap(device.queue, 'writeBuffer', (...args: never[]) => {
    const [, , data, dataOffset = 0, size] = args as unknown as [unknown, number, ArrayBuffer | ArrayBufferView, number?, number?];
    const unit = ArrayBuffer.isView(data) && 'BYTES_PER_ELEMENT' in data ? (data.BYTES_PER_ELEMENT as number) : 1;
    const length = ArrayBuffer.isView(data) && unit > 1 ? data.byteLength / unit : data.byteLength;
    work.bytesUploaded += (size ?? length - dataOffset) * unit;
  });
  wrap(backend, 'uploadToGPU', (...args: never[]) => {
    const data = backend.tensorMap.get(args[0] as object);
    if (data?.values && data.resource == null) work.bytesUploaded += 4 * data.values.length; // float32 and int32 alike
  });
  return { work, stop: () => undo.reverse().forEach((f) => f()) };
}
