// The listing the storage dialect asks for (`rawListing`), as the RawListing provider of the query API.
import { MongoConnection } from '@tokenmeter/storage';
import { IndexRangeListing } from './raw-index-range.listing';
import { RawListing } from './raw-listing';
import { TimeDirectoryListing } from './raw-time-directory.listing';

export function rawListingFor(mongo: MongoConnection): RawListing {
  switch (mongo.dialect.rawListing) {
    case 'index-range':
      return new IndexRangeListing(mongo);
    case 'time-directory':
      return new TimeDirectoryListing(mongo);
  }
}

export const rawListingProvider = { provide: RawListing, useFactory: rawListingFor, inject: [MongoConnection] };
