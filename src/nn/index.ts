/** The `nn` namespace of the DSL, mirroring torch.nn. */
export { Module, Parameter, registerBuffer, setModuleCallHook, callModule } from './module';
export { Conv2d } from './conv';
export { Linear, Identity } from './linear';
export { BatchNorm2d, LayerNorm } from './norm';
export { ReLU, ReLU6, Dropout, Softmax } from './activation';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten } from './pooling';
export { Sequential, ModuleList } from './container';
export { QuantStub, DeQuantStub, FloatFunctional } from './quant_stubs';
export { manual_seed } from './init';
