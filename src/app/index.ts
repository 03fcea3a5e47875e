/** Routing and the bundled demo handlers. */
export { router, type Router, type RouterOptions, type RouteHandler, type Params, type PathParams } from './router.js';
export { addDemoRoutes, echo, type DemoOptions } from './demo.js';
export { accessLog, formatCombined, formatJson, type AccessLog, type LogFormat } from './access-log.js';
export { createChatRoom, type ChatRoom, type ChatOptions } from './chat.js';
