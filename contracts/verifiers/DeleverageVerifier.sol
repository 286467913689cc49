// SPDX-License-Identifier: GPL-3.0
// GENERATED FILE: do not edit by hand. Regenerate with `npm run build`.
// Groth16 verifier of the deleverage circuit, exported by snarkjs. Keys: INSECURE development keys (deterministic powers of tau and public beacons).
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

contract DeleverageVerifier {
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

    
    uint256 constant IC0x = 3186079337562570860583917693503289280264098734372896458209589364642039122471;
    uint256 constant IC0y = 19861447339103152819563598616124323582494875569229604464667147782016996206351;
    
    uint256 constant IC1x = 19113205129815274812034617103292714505846460417400599857295268502260557091780;
    uint256 constant IC1y = 1437859336027845441414765504172660177578047968545872834575531765620001782319;
    
    uint256 constant IC2x = 3841631277729386407637943616177678157470790944156989689598465813431641397843;
    uint256 constant IC2y = 5865938816573301843794320002728295364831133385385272371773623959790954005219;
    
    uint256 constant IC3x = 16931321387421126838077601068250831618310317314874430350031475163143878050615;
    uint256 constant IC3y = 5501327048915485994322880644593923928922025522402810511521240937640753821043;
    
    uint256 constant IC4x = 20410318486931298576831411193558095195410905813296739256196434163891165614836;
    uint256 constant IC4y = 21196612233452958736158792094441386460369339644763974480079901286976457779966;
    
    uint256 constant IC5x = 7062379749782928109139526212100291749332147282843137770706851637672520218543;
    uint256 constant IC5y = 15421168391340853845635205423768994883082628733179563017884232731011378195975;
    
    uint256 constant IC6x = 6165772104538430555122865435207421127193443953534919749379620322816684789193;
    uint256 constant IC6y = 13646668969164343268366627459751611628032564576162689410145443756211102248231;
    
 
    // Memory data
    uint16 constant pVk = 0;
    uint16 constant pPairing = 128;

    uint16 constant pLastMem = 896;

    function verifyProof(uint[2] calldata _pA, uint[2][2] calldata _pB, uint[2] calldata _pC, uint[6] calldata _pubSignals) public view returns (bool) {
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
            

            // Validate all evaluations
            let isValid := checkPairing(_pA, _pB, _pC, _pubSignals, pMem)

            mstore(0, isValid)
             return(0, 0x20)
         }
     }
 }
