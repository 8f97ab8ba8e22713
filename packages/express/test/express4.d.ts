// Express 4 under an alias, typed like Express 5: the adapter only uses what both share.
declare module 'express4' {
  import express from 'express';
  export default express;
}
