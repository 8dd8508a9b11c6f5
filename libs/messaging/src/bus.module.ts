import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_BUS, type EventBus } from './event-bus';

class BusLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

/**
 * Provides the process-wide event bus under `EVENT_BUS`. `forBus(bus)` shares an existing bus (the embedded
 * composition root passes one MemoryBus to all four app modules); `forFactory(create)` builds and owns it.
 */
@Global()
@Module({})
export class BusModule {
  static forBus(bus: EventBus): DynamicModule {
    return { module: BusModule, providers: [{ provide: EVENT_BUS, useValue: bus }], exports: [EVENT_BUS] };
  }

  static forFactory(create: () => EventBus | Promise<EventBus>): DynamicModule {
    return {
      module: BusModule,
      providers: [{ provide: EVENT_BUS, useFactory: create }, BusLifecycle],
      exports: [EVENT_BUS],
    };
  }
}
