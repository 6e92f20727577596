// jest as JupyterLab configures it (@jupyterlab/testing's preset: ts-jest with tsconfig.test.json, a jsdom
// environment, the ES modules of @jupyterlab and @lumino transformed); the tests live in src/__tests__/.
const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyterlab/',
  'lib0',
  'nanoid',
  'y-protocols',
  'yjs'
].join('|');

const base = jestJupyterLab(__dirname);

module.exports = {
  ...base,
  automock: false,
  // Types are checked once by `jlpm build:lib` and `jlpm typecheck` (the tests too), not per test file.
  transform: {
    ...base.transform,
    '^.+\\.tsx?$': [
      'ts-jest/legacy',
      { tsconfig: './tsconfig.test.json', isolatedModules: true }
    ]
  },
  reporters: ['default'],
  testRegex: 'src/__tests__/.*.spec.ts[x]?$',
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
};
