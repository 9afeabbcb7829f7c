import { describe, expect, it } from 'vitest';
import { parseDeliveryName } from '../../activities/feed/delivery-name.ts';

describe('parseDeliveryName', () => {
  it('reads daily manifests <rsid>_<YYYY-MM-DD>.txt', () => {
    expect(parseDeliveryName('zwitchdev_2015-07-13.txt')).toEqual({ deliveryId: 'zwitchdev_2015-07-13', rsid: 'zwitchdev', feedDate: '2015-07-13', hourly: false });
  });

  it('reads hourly manifests <rsid>_<YYYYmmdd>-<HHMMSS>.txt', () => {
    expect(parseDeliveryName('my_rs.prod_20150713-140000.txt')).toEqual({ deliveryId: 'my_rs.prod_20150713-140000', rsid: 'my_rs.prod', feedDate: '2015-07-13T14:00:00', hourly: true });
  });

  it('ignores data files, lookup archives and other names', () => {
    for (const name of ['01-zwitchdev_2015-07-13.tsv.gz', 'zwitchdev_2015-07-13-lookup_data.tar.gz', 'README.txt', 'zwitchdev_2015-07-13.txt.part', 'crm.csv']) {
      expect(parseDeliveryName(name)).toBeNull();
    }
  });
});
