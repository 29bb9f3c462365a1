// Dawn's Node addon (the `webgpu` package) is what @attnzoo/runtime uses for WebGPU under Node;
// a browser has its own navigator.gpu, so the bundle gets this instead.
const unavailable = () => {
  throw new Error('Dawn (the webgpu package) runs only in Node: a browser uses navigator.gpu.');
};
export const create = unavailable;
export const globals = {};
