import '../simulator/polyfills';
