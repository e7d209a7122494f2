import { describeStoreConformance } from 'typed-sessions/testing'
import { LaxMapStore } from './map-store.js'

describeStoreConformance('LaxMapStore', () => ({ store: new LaxMapStore() }), { isolated: true })
