// `@latchkey/core/adapter`: the plumbing a framework adapter needs (Node request translation,
// response parts, bodies, synchronous-when-possible results). Apps import `@latchkey/core`.
export { type Awaitable, isPromiseLike, whenReady } from './awaitable';
export { encodeParsedBody, staticPrefix } from './forward';
export {
  BODY_LIMIT,
  type BodySource,
  bodyFailure,
  fromNodeRequest,
  type NodeBodyStream,
  type NodeRequestLike,
  nodeBody,
  payloadTooLarge,
  type ResponseParts,
  readNodeBody,
  responseParts,
} from './node';
