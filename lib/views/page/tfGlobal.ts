// The page's '@tensorflow/tfjs': the browser build that tryIt.ts puts on the page as window.tf. The bundler maps the
// import here (package.json, build), so the model's layers compile against the same library they run with in Node.
export = (globalThis as unknown as { tf: typeof import('@tensorflow/tfjs') }).tf;
