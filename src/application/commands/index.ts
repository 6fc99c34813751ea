export * from './commandContext';
export * from './fulfillmentErrors';
export * from './orderIds';
export * from './placeOrderInput';
export * from './placeOrder';
export * from './requestCancellation';
export * from './retrySaga';
export * from './resolveSaga';
