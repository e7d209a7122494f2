import { describeConcurrency, describeStoreConformance } from 'typed-sessions/testing'
import { MapStore } from './map-store.js'

describeStoreConformance('MapStore', () => ({ store: new MapStore() }), { isolated: true })
describeConcurrency('MapStore', () => ({ store: new MapStore() }))
