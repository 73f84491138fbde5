export {
  bundlePlayground,
  ONNXRUNTIME_WEB_FILES,
  PLAYGROUND_ASSETS,
  PLAYGROUND_BUNDLE,
  PLAYGROUND_LICENSES,
  playgroundAssetsFolder,
} from './playground-bundle';
export { PLAYGROUND_PAGE, writePlaygroundFolder } from './write-playground-folder';
export { servePlaygroundFolder, type PlaygroundFolderServer } from './serve-playground-folder';
