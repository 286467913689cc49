// SPDX-License-Identifier: GPL-3.0
// GENERATED FILE: do not edit by hand. Regenerate with `npm run build`.
// Groth16 verifier of the update circuit, exported by snarkjs. Keys: INSECURE development keys (deterministic powers of tau and public beacons).
/*
    Copyright 2021 0KIMS association.

    This file is generated with [snarkJS](https://github.com/iden3/snarkjs).

    snarkJS is a free software: you can redistribute it and/or modify it
    under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.

    snarkJS is distributed in the hope that it will be useful, but WITHOUT
    ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
    or FITNESS FOR A PARTICULAR PURPOSE. See the GNU General Public
    License for more details.

    You should have received a copy of the GNU General Public License
    along with snarkJS. If not, see <https://www.gnu.org/licenses/>.
*/

pragma solidity >=0.7.0 <0.9.0;

contract UpdateVerifier {
    // Scalar field size
    uint256 constant r    = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    // Base field size
    uint256 constant q   = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    // Verification Key data
    uint256 constant alphax  = 12093422653590520517430078335618104058698389946526472699472031385576911045522;
    uint256 constant alphay  = 16392709352066529339696720906469133847199254389314165144479768248344668201806;
    uint256 constant betax1  = 17903256733197724606009387783014478338992021228094107453580984399223700407946;
    uint256 constant betax2  = 15532429389289378198562647386994403278490731621173250452537381444052234584325;
    uint256 constant betay1  = 17749964713079647053276969860571738156659849726408419164744538061057321865020;
    uint256 constant betay2  = 7432245903418381222190407735929190300510752366175388753937654380014561104901;
    uint256 constant gammax1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 constant gammax2 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 constant gammay1 = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 constant gammay2 = 8495653923123431417604973247489272438418190587263600148770280649306958101930;
    uint256 constant deltax1 = 10129232102755737266833695050923137974245081576080144864216516322516379153039;
    uint256 constant deltax2 = 17831664651755485173506476992522366029703384239840870882622950521838541936591;
    uint256 constant deltay1 = 2028545301339795164547454970723151271812203517735820277820074861641107062998;
    uint256 constant deltay2 = 16951176757312564931586401212111542388549029504706969128647358691843483688797;

    
    uint256 constant IC0x = 16573007670560251994398432928103199249502080295791010495340000176178513696739;
    uint256 constant IC0y = 16335709197449831410595131731887254644141271217433749102151082386232387215184;
    
    uint256 constant IC1x = 12455463346015070719893275409801636727761472746574339644093756839657110763844;
    uint256 constant IC1y = 9557714596135807370336555751320995630534025232015724870789728173216756620528;
    
    uint256 constant IC2x = 3177503088914363200966944625075616716707099199005788596078666752218023562219;
    uint256 constant IC2y = 6520879634781878950854402009550026413821460158841952290458750052016628251162;
    
    uint256 constant IC3x = 19520145598489159966876677137497320576216552844232137783623132927519693304259;
    uint256 constant IC3y = 13852461055763385906453774222038546442212988678621648772221805603352888878285;
    
    uint256 constant IC4x = 9856459686610588092142801637914590841306022860039877592243402280022223877408;
    uint256 constant IC4y = 20703682496205915859043438491423251242381160672463162784010638674631807002395;
    
    uint256 constant IC5x = 17186966459349401947850881013001133044828039711667914685576605326805662508692;
    uint256 constant IC5y = 5317478283826867292799533020127081315574028742115102269660319327693633512818;
    
    uint256 constant IC6x = 19506291876301765842944227648073276063601441378979514200336243690113868241389;
    uint256 constant IC6y = 8939430125431747860102043461250547976887493075411247144642406939500626212566;
    
    uint256 constant IC7x = 10493457991563736073363110020080581323121289074942646984849931810590751432805;
    uint256 constant IC7y = 17867302965544435969124042238516561489943981140201502842106915766611686430460;
    
    uint256 constant IC8x = 18534508712100476881054457836755399547844563749555213125668209010639421836195;
    uint256 constant IC8y = 5879207095460395768183516790172810087558395504937393787236067240880225936337;
    
    uint256 constant IC9x = 14504921155892024902662008737723587148102045406837217984071634626531934828104;
    uint256 constant IC9y = 17249609553368662149063635526456624852447521136574805611614250029582385430222;
    
    uint256 constant IC10x = 4558730393698330889413526888455536859742172364132270342338234100377414168273;
    uint256 constant IC10y = 5773238807493622164502682195467692910506187910009179982564581362655704877876;
    
    uint256 constant IC11x = 10333262931085906862741452650800196958503953243903635431244092223762653854384;
    uint256 constant IC11y = 5173424973997853494883803721092261967489191740845254835305902323824393174832;
    
    uint256 constant IC12x = 15191232055892229261108931520530623458890568964114889491958302139258964477147;
    uint256 constant IC12y = 15488014961431566882272843785726974438511861026580525716676203724774410216202;
    
    uint256 constant IC13x = 20196851618016936563918944793367358997435099259090057763921920944145390811883;
    uint256 constant IC13y = 21422659453009194614929567395098503902120136391667546200237197740597229688983;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[13] calldata _pubSignals) public view returns (bool) {
        assembly {
            function checkField(v) {
                if iszero(lt(v, r)) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }
            
            // G1 function to multiply a G1 value(x,y) to value in an address
            function g1_mulAccC(pR, x, y, s) {
                let success
                let mIn := mload(0x40)
                mstore(mIn, x)
                mstore(add(mIn, 32), y)
                mstore(add(mIn, 64), s)

                success := staticcall(sub(gas(), 2000), 7, mIn, 96, mIn, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }

                mstore(add(mIn, 64), mload(pR))
                mstore(add(mIn, 96), mload(add(pR, 32)))

                success := staticcall(sub(gas(), 2000), 6, mIn, 128, pR, 64)

                if iszero(success) {
                    mstore(0, 0)
                    return(0, 0x20)
                }
            }

            function checkPairing(pA, pB, pC, pubSignals, pMem) -> isOk {
                let _pPairing := add(pMem, pPairing)
                let _pVk := add(pMem, pVk)

                mstore(_pVk, IC0x)
                mstore(add(_pVk, 32), IC0y)

                // Compute the linear combination vk_x
                
                g1_mulAccC(_pVk, IC1x, IC1y, calldataload(add(pubSignals, 0)))
                
                g1_mulAccC(_pVk, IC2x, IC2y, calldataload(add(pubSignals, 32)))
                
                g1_mulAccC(_pVk, IC3x, IC3y, calldataload(add(pubSignals, 64)))
                
                g1_mulAccC(_pVk, IC4x, IC4y, calldataload(add(pubSignals, 96)))
                
                g1_mulAccC(_pVk, IC5x, IC5y, calldataload(add(pubSignals, 128)))
                
                g1_mulAccC(_pVk, IC6x, IC6y, calldataload(add(pubSignals, 160)))
                
                g1_mulAccC(_pVk, IC7x, IC7y, calldataload(add(pubSignals, 192)))
                
                g1_mulAccC(_pVk, IC8x, IC8y, calldataload(add(pubSignals, 224)))
                
                g1_mulAccC(_pVk, IC9x, IC9y, calldataload(add(pubSignals, 256)))
                
                g1_mulAccC(_pVk, IC10x, IC10y, calldataload(add(pubSignals, 288)))
                
                g1_mulAccC(_pVk, IC11x, IC11y, calldataload(add(pubSignals, 320)))
                
                g1_mulAccC(_pVk, IC12x, IC12y, calldataload(add(pubSignals, 352)))
                
                g1_mulAccC(_pVk, IC13x, IC13y, calldataload(add(pubSignals, 384)))
                

                // -A
                mstore(_pPairing, calldataload(pA))
                mstore(add(_pPairing, 32), mod(sub(q, calldataload(add(pA, 32))), q))

                // B
                mstore(add(_pPairing, 64), calldataload(pB))
                mstore(add(_pPairing, 96), calldataload(add(pB, 32)))
                mstore(add(_pPairing, 128), calldataload(add(pB, 64)))
                mstore(add(_pPairing, 160), calldataload(add(pB, 96)))

                // alpha1
                mstore(add(_pPairing, 192), alphax)
                mstore(add(_pPairing, 224), alphay)

                // beta2
                mstore(add(_pPairing, 256), betax1)
                mstore(add(_pPairing, 288), betax2)
                mstore(add(_pPairing, 320), betay1)
                mstore(add(_pPairing, 352), betay2)

                // vk_x
                mstore(add(_pPairing, 384), mload(add(pMem, pVk)))
                mstore(add(_pPairing, 416), mload(add(pMem, add(pVk, 32))))


                // gamma2
                mstore(add(_pPairing, 448), gammax1)
                mstore(add(_pPairing, 480), gammax2)
                mstore(add(_pPairing, 512), gammay1)
                mstore(add(_pPairing, 544), gammay2)

                // C
                mstore(add(_pPairing, 576), calldataload(pC))
                mstore(add(_pPairing, 608), calldataload(add(pC, 32)))

                // delta2
                mstore(add(_pPairing, 640), deltax1)
                mstore(add(_pPairing, 672), deltax2)
                mstore(add(_pPairing, 704), deltay1)
                mstore(add(_pPairing, 736), deltay2)


                let success := staticcall(sub(gas(), 2000), 8, _pPairing, 768, _pPairing, 0x20)

                isOk := and(success, mload(_pPairing))
            }

            let pMem := mload(0x40)
            mstore(0x40, add(pMem, pLastMem))

            // Validate that all evaluations ∈ F
            
            checkField(calldataload(add(_pubSignals, 0)))
            
            checkField(calldataload(add(_pubSignals, 32)))
            
            checkField(calldataload(add(_pubSignals, 64)))
            
            checkField(calldataload(add(_pubSignals, 96)))
            
            checkField(calldataload(add(_pubSignals, 128)))
            
            checkField(calldataload(add(_pubSignals, 160)))
            
            checkField(calldataload(add(_pubSignals, 192)))
            
            checkField(calldataload(add(_pubSignals, 224)))
            
            checkField(calldataload(add(_pubSignals, 256)))
            
            checkField(calldataload(add(_pubSignals, 288)))
            
            checkField(calldataload(add(_pubSignals, 320)))
            
            checkField(calldataload(add(_pubSignals, 352)))
            
            checkField(calldataload(add(_pubSignals, 384)))
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
