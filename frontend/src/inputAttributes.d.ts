import 'react';

declare module 'react' {
  // Lets a file input pick a whole folder (each file then has a webkitRelativePath).
  // Merging into React's interface needs its type parameter, used or not.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface InputHTMLAttributes<T> {
    webkitdirectory?: string;
  }
}
