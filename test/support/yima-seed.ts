/**
 * The seed's sample order (../shared/seeds/003_7e3acc882c8e82da.txt, interface 4.15), copied verbatim so the
 * tests do not depend on files outside the repository. It is an encoding vector, not a valid order: tx_amt 1
 * while the split adds up to 1000, and plan_split_date with split_flag R.
 */
export const SEED_JSON = `{
"request_type": "bcm_ordercreate_request",
"isspid": "39493002",
"pos_id": "1511300001",
"store_id": "1511300001",
"pos_seq": "2018121400000004",
"user_id": "user01",
"system_id": "8888",
"memo": "订单备注",
"bcm_ordercreate_request": {
"pos_sn": "",
"terminal_id": "0001045907",
"tx_amt": "1",
"notify_url": "http://www.baidu.com/",
"goods_detail": [
{
"goods_name": "啊ipad",
"quantity": 1,
"price": 200000
},
{
"goods_name": "额ipad2",
"quantity": 1,
"price": 200000
}
],
"extend_params": {
"split_flag": "R",
"plan_split_date": "20230418",
"split_info": {
"keep_amt": "800",
"split_list": [
{
"merchant_id": "10000000000001",
"div_amt": "150"
},
{
"merchant_id": "10000000000002",
"div_amt": "50"
}
]
}
}
},
"sign": "314DA43E7E244105ECBD45F797264854"
}`;

export const SEED_XML = `<?xml version="1.0" encoding="GBK"?>
<business_trans>
<request_type>bcm_ordercreate_request</request_type>
<isspid>39493002</isspid>
<pos_id>1511300001</pos_id>
<store_id>1511300001</store_id>
<pos_seq>1511300000002</pos_seq>
<user_id>user01</user_id>
<system_id>8888</system_id>
<memo>订单备注</memo>
<bcm_ordercreate_request>
<pos_sn></pos_sn>
<terminal_id>0001045907</terminal_id>
<tx_amt>1</tx_amt>
<notify_url><![CDATA[http://www.baidu.com/]]></notify_url>
<extend_params><![CDATA[
{
"split_flag": "R",
"plan_split_date": "20230418",
"split_info": {
"keep_amt": "800",
"split_list": [
{
"merchant_id": "10000000000001",
"div_amt": "150"
},
{
"merchant_id": "10000000000002",
"div_amt": "50"
}
]
}
}
]]></extend_params>
<goods_detail><![CDATA[
[
{
"goods_name": "啊ipad",
"quantity": 1,
"price": 200000
},
{
"goods_name": "额ipad2",
"quantity": 1,
"price": 200000
}
]
]]></goods_detail>
</bcm_ordercreate_request>
</business_trans>`;

export const SEED_CREATE_RESPONSE_JSON = `{
"response_type": "bcm_ordercreate_response",
"isspid": "39493002",
"pos_id": "6666666666",
"pos_seq": "2018121400000004",
"trans_time": "20181214143516",
"sys_seq": "0741136885a748c1",
"result": {
"id": "9998",
"comment": "创建订单成功"
},
"sign": "F6106656C20AB23B547B0C30DD819793"
}`;

export const SEED_CREATE_RESPONSE_XML = `<?xml version="1.0" encoding="GBK"?>
<business_trans>
<response_type>bcm_ordercreate_response</response_type>
<isspid>39493002</isspid>
<pos_id>1511300001</pos_id>
<pos_seq>1511300000002</pos_seq>
<sys_seq>0311095321465179</sys_seq>
<trans_time>20160311095321</trans_time>
<result>
<id>9998</id>
<comment>创建订单成功</comment>
</result>
</business_trans>`;

/** The seed sample's merchant, as our settings would hold it. */
export const SEED_MERCHANT = {
  url: 'http://127.0.0.1:9/ipos-sa/gateway',
  isspid: '39493002',
  systemId: '8888',
  storeId: '1511300001',
  posId: '1511300001',
  terminalId: '0001045907',
  posSn: '',
};

export const SEED_GOODS = [
  { name: '啊ipad', quantity: 1, priceFen: 200000 },
  { name: '额ipad2', quantity: 1, priceFen: 200000 },
];
